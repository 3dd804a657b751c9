/**
 * The picture of demo tile z/x/y, 256 × 256: a background tinted by zoom level with a checker of
 * tiles, graticule lines at round degrees (continuous from tile to tile, so a mosaic of tiles shows
 * whether they were placed right), a border, and the label "z/x/y" in a 5 × 7 pixel font.
 */
import type { PaletteImage } from './png.js'

export const TILE_SIZE = 256

const PALETTE: readonly (readonly [number, number, number])[] = [
  [0xd8, 0xe8, 0xf4], // 0 background, even tiles
  [0xc4, 0xdc, 0xee], // 1 background, odd tiles
  [0x5a, 0x8a, 0xb8], // 2 graticule
  [0x30, 0x40, 0x58], // 3 border
  [0x10, 0x18, 0x20], // 4 text
  [0xff, 0xff, 0xff], // 5 text background
]

/** 5 × 7 glyphs, one string of 7 rows of 5 bits each. */
const GLYPHS: Record<string, readonly number[]> = {
  '0': [14, 17, 19, 21, 25, 17, 14],
  '1': [4, 12, 4, 4, 4, 4, 14],
  '2': [14, 17, 1, 2, 4, 8, 31],
  '3': [31, 2, 4, 2, 1, 17, 14],
  '4': [2, 6, 10, 18, 31, 2, 2],
  '5': [31, 16, 30, 1, 1, 17, 14],
  '6': [6, 8, 16, 30, 17, 17, 14],
  '7': [31, 1, 2, 4, 8, 8, 8],
  '8': [14, 17, 17, 14, 17, 17, 14],
  '9': [14, 17, 17, 15, 1, 2, 12],
  '/': [1, 1, 2, 4, 8, 16, 16],
}

const STEPS_DEG = [30, 10, 5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001]

/** The graticule step (degrees) at zoom z: the largest round step at most one tile wide. */
function step(z: number): number {
  const tileDeg = 360 / 2 ** z
  return STEPS_DEG.find((s) => s <= tileDeg) ?? STEPS_DEG.at(-1)! / 2 ** Math.max(0, z - 18)
}

/** For each of the 256 columns (or rows), whether a graticule line crosses it. */
function lines(z: number, tile: number, degreesAt: (worldPx: number) => number): Uint8Array {
  const s = step(z)
  const out = new Uint8Array(TILE_SIZE)
  let prev = Math.floor(degreesAt(tile * TILE_SIZE - 0.5) / s)
  for (let i = 0; i < TILE_SIZE; i++) {
    const cell = Math.floor(degreesAt(tile * TILE_SIZE + i + 0.5) / s)
    if (cell !== prev) out[i] = 1
    prev = cell
  }
  return out
}

function drawLabel(pixels: Uint8Array, label: string): void {
  const scale = label.length > 12 ? 2 : 3
  const w = label.length * 6 * scale + scale * 2
  const h = 7 * scale + scale * 4
  const left = Math.floor((TILE_SIZE - w) / 2)
  const top = Math.floor((TILE_SIZE - h) / 2)
  for (let y = top; y < top + h; y++) pixels.fill(5, y * TILE_SIZE + left, y * TILE_SIZE + left + w)
  for (let c = 0; c < label.length; c++) {
    const glyph = GLYPHS[label[c]!] ?? []
    for (let row = 0; row < 7; row++) {
      for (let col = 0; col < 5; col++) {
        if (((glyph[row] ?? 0) >> (4 - col)) & 1) {
          const x0 = left + scale * 2 + (c * 6 + col) * scale
          const y0 = top + scale * 2 + row * scale
          for (let dy = 0; dy < scale; dy++)
            pixels.fill(4, (y0 + dy) * TILE_SIZE + x0, (y0 + dy) * TILE_SIZE + x0 + scale)
        }
      }
    }
  }
}

/** Draws tile z/x/y (XYZ scheme). */
export function drawTile(z: number, x: number, y: number): PaletteImage {
  const world = TILE_SIZE * 2 ** z
  const lon = (px: number): number => (px / world) * 360 - 180
  const lat = (py: number): number => (Math.atan(Math.sinh(Math.PI * (1 - (2 * py) / world))) * 180) / Math.PI
  const cols = lines(z, x, lon)
  const rows = lines(z, y, lat)
  const pixels = new Uint8Array(TILE_SIZE * TILE_SIZE)
  const plain = new Uint8Array(TILE_SIZE).fill((x + y) % 2)
  for (let c = 0; c < TILE_SIZE; c++) if (cols[c] === 1) plain[c] = 2
  const ruled = new Uint8Array(TILE_SIZE).fill(2)
  plain[0] = plain[TILE_SIZE - 1] = ruled[0] = ruled[TILE_SIZE - 1] = 3
  for (let r = 0; r < TILE_SIZE; r++) pixels.set(rows[r] === 1 ? ruled : plain, r * TILE_SIZE)
  pixels.fill(3, 0, TILE_SIZE)
  pixels.fill(3, (TILE_SIZE - 1) * TILE_SIZE)
  drawLabel(pixels, `${z}/${x}/${y}`)
  return { width: TILE_SIZE, height: TILE_SIZE, palette: PALETTE, pixels }
}
