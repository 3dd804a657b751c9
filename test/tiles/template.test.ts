import { describe, expect, it } from 'vitest'
import { parseTemplate } from '../../src/tiles/template.js'
import { parseTileList } from '../../src/tiles/source.js'

describe('URL templates', () => {
  it('fills {z} {x} {y} {-y} {q}', () => {
    const t = parseTemplate('https://tiles.example.com/{z}/{x}/{y}.png?tms={-y}&q={q}')
    expect(t.url({ z: 3, x: 3, y: 5 })).toBe('https://tiles.example.com/3/3/5.png?tms=2&q=213')
    expect(t.origins).toEqual(['https://tiles.example.com'])
    expect(t.extension).toBe('.png')
    expect(parseTemplate('https://h.test:8443/tms/{z}/{x}/{-y}.jpg').url({ z: 1, x: 0, y: 0 })).toBe(
      'https://h.test:8443/tms/1/0/1.jpg',
    )
    expect(parseTemplate('https://t.test/tiles/a{q}.jpeg?g=1').url({ z: 2, x: 1, y: 2 })).toBe(
      'https://t.test/tiles/a21.jpeg?g=1',
    )
  })

  it('picks a subdomain per tile as Leaflet does: (x + y) mod n', () => {
    const t = parseTemplate('https://{s}.tile.test/{z}/{x}/{y}.png', ['a', 'b', 'c'])
    expect(t.url({ z: 2, x: 0, y: 0 })).toBe('https://a.tile.test/2/0/0.png')
    expect(t.url({ z: 2, x: 1, y: 0 })).toBe('https://b.tile.test/2/1/0.png')
    expect(t.url({ z: 2, x: 1, y: 1 })).toBe('https://c.tile.test/2/1/1.png')
    expect(t.url({ z: 2, x: 2, y: 1 })).toBe('https://a.tile.test/2/2/1.png')
    expect(t.origins).toEqual(['https://a.tile.test', 'https://b.tile.test', 'https://c.tile.test'])
  })

  it('refuses what cannot name a tile', () => {
    expect(() => parseTemplate('https://t.test/{z}/{x}.png')).toThrow(/needs \{z\}, \{x\} and \{y\}/)
    expect(() => parseTemplate('https://t.test/{z}/{x}/{y}/{r}.png')).toThrow(/unknown placeholder \{r\}/)
    expect(() => parseTemplate('http://t.test/{z}/{x}/{y}.png')).toThrow(/only https/)
    expect(() => parseTemplate('tiles/{z}/{x}/{y}.png')).toThrow(/not a URL/)
    expect(() => parseTemplate('https://{s}.t.test/{z}/{x}/{y}', [])).toThrow(/subdomains/)
  })
})

describe('tile lists', () => {
  it('reads z/x/y lines, skipping comments, blanks and repeats', () => {
    const s = parseTileList('# area\n10/550/335\n\n 10 / 551 / 335 \r\n10/550/335\n3/7/7\n')
    expect([...s.tiles()]).toEqual([
      { z: 10, x: 550, y: 335 },
      { z: 10, x: 551, y: 335 },
      { z: 3, x: 7, y: 7 },
    ])
    expect(s.count).toBe(3)
    expect(s.zooms).toEqual([3, 10])
  })

  it('names the bad line', () => {
    expect(() => parseTileList('1/0/0\n1/2/0\n', 'area.txt')).toThrow(/^area\.txt:2: "1\/2\/0" is not a tile/)
    expect(() => parseTileList('1,0,0', 'l')).toThrow(/l:1:/)
  })
})
