import { describe, expect, it } from 'vitest'
import {
  bboxRanges,
  lonLatToTile,
  parseBBox,
  parseZoomRange,
  quadkey,
  rangeCount,
  rangeTiles,
  tileBBox,
  tmsY,
} from '../../src/tiles/coords.js'

// Tiles of known places, computed independently with Bing Maps' formula
// (y = 0.5 - ln((1 + sin φ) / (1 - sin φ)) / 4π) and checked against OpenStreetMap's tile names.
const KNOWN = [
  { name: 'London', lon: -0.1276, lat: 51.5072, z10: [511, 340], z18: [130979, 87169] },
  { name: 'Eiffel Tower', lon: 2.2945, lat: 48.8584, z10: [518, 352], z18: [132742, 90182] },
  { name: 'Sydney Opera House', lon: 151.2153, lat: -33.8568, z10: [942, 614], z18: [241183, 157300] },
  { name: 'Statue of Liberty', lon: -74.0445, lat: 40.6892, z10: [301, 385], z18: [77154, 98583] },
] as const

describe('tile coordinates', () => {
  it.each(KNOWN)('$name at zooms 0, 10 and 18', (p) => {
    expect(lonLatToTile(p.lon, p.lat, 0)).toEqual({ z: 0, x: 0, y: 0 })
    expect(lonLatToTile(p.lon, p.lat, 10)).toEqual({ z: 10, x: p.z10[0], y: p.z10[1] })
    expect(lonLatToTile(p.lon, p.lat, 18)).toEqual({ z: 18, x: p.z18[0], y: p.z18[1] })
    const box = tileBBox({ z: 18, x: p.z18[0], y: p.z18[1] })
    expect(p.lon).toBeGreaterThanOrEqual(box.minLon)
    expect(p.lon).toBeLessThan(box.maxLon)
    expect(p.lat).toBeGreaterThan(box.minLat)
    expect(p.lat).toBeLessThanOrEqual(box.maxLat)
  })

  it('clamps the poles and the antimeridian to the edge tiles', () => {
    expect(lonLatToTile(180, 90, 3)).toEqual({ z: 3, x: 7, y: 0 })
    expect(lonLatToTile(-180, -90, 3)).toEqual({ z: 3, x: 0, y: 7 })
    expect(lonLatToTile(0, 0, 18)).toEqual({ z: 18, x: 131072, y: 131072 })
    expect(() => lonLatToTile(0, 0, 31)).toThrow(RangeError)
  })

  it('quadkeys as Bing Maps names them', () => {
    // The Bing Maps Tile System article's example: tile (3, 5) at level 3 is "213".
    expect(quadkey({ z: 3, x: 3, y: 5 })).toBe('213')
    expect(quadkey({ z: 0, x: 0, y: 0 })).toBe('')
    expect(quadkey({ z: 1, x: 1, y: 1 })).toBe('3')
    expect(quadkey({ z: 2, x: 1, y: 2 })).toBe('21')
    expect(quadkey({ z: 18, x: 130979, y: 87169 })).toHaveLength(18)
  })

  it('flips rows between XYZ and TMS', () => {
    expect(tmsY(0, 0)).toBe(0)
    expect(tmsY(1, 0)).toBe(1)
    expect(tmsY(10, 340)).toBe(683)
    expect(tmsY(10, tmsY(10, 340))).toBe(340)
  })

  it('covers a bounding box zoom by zoom', () => {
    const world = bboxRanges(parseBBox('-180,-85.0511,180,85.0511'), 0, 3)
    expect(world.map((r) => [r.minX, r.maxX, r.minY, r.maxY])).toEqual([
      [0, 0, 0, 0],
      [0, 1, 0, 1],
      [0, 3, 0, 3],
      [0, 7, 0, 7],
    ])
    expect(rangeCount(world)).toBe(1 + 4 + 16 + 64)
    // Central London at zoom 10: the tiles around 511/340.
    const london = bboxRanges(parseBBox('-0.3,51.3,0.1,51.7'), 10, 10)[0]!
    expect(london).toEqual({ z: 10, minX: 511, maxX: 512, minY: 339, maxY: 341 })
    // A box ending exactly on a tile edge does not take the next column.
    expect(bboxRanges(parseBBox('0,0,90,10'), 2, 2)[0]).toMatchObject({ minX: 2, maxX: 2 })
    const tiles = [...rangeTiles(bboxRanges(parseBBox('-10,-10,10,10'), 1, 2))]
    expect(tiles.map((t) => `${t.z}/${t.x}/${t.y}`)).toEqual([
      '1/0/0',
      '1/1/0',
      '1/0/1',
      '1/1/1',
      '2/1/1',
      '2/2/1',
      '2/1/2',
      '2/2/2',
    ])
  })

  it('parses --bbox and --zoom strictly', () => {
    expect(parseBBox(' 13.3, 52.4 ,13.5,52.6')).toEqual({ minLon: 13.3, minLat: 52.4, maxLon: 13.5, maxLat: 52.6 })
    expect(() => parseBBox('1,2,3')).toThrow(/minLon,minLat,maxLon,maxLat/)
    expect(() => parseBBox('10,0,5,1')).toThrow(/west < east/)
    expect(() => parseBBox('0,-91,1,1')).toThrow(/\[-90, 90\]/)
    expect(() => parseBBox('a,b,c,d')).toMatchObject({})
    expect(parseZoomRange('3')).toEqual({ minZoom: 3, maxZoom: 3 })
    expect(parseZoomRange('0-12')).toEqual({ minZoom: 0, maxZoom: 12 })
    expect(() => parseZoomRange('5-2')).toThrow(/Z0 <= Z1/)
    expect(() => parseZoomRange('0-31')).toThrow(/<= 30/)
  })
})
