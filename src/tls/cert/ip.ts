/** IP address bytes as text for messages: dotted quad, RFC 5952 IPv6, or hex for other lengths. */
export function formatIp(ip: Uint8Array): string {
  if (ip.length === 4) return [...ip].join('.')
  if (ip.length === 16) {
    const groups: string[] = []
    for (let i = 0; i < 16; i += 2) groups.push(((ip[i]! << 8) | ip[i + 1]!).toString(16))
    // RFC 5952 §4.2: the longest run of two or more zero groups becomes "::".
    let best = -1
    let bestLen = 1
    for (let i = 0; i < 8;) {
      let j = i
      while (j < 8 && groups[j] === '0') j++
      if (j - i > bestLen) [best, bestLen] = [i, j - i]
      i = j === i ? i + 1 : j
    }
    if (best < 0) return groups.join(':')
    return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`
  }
  if (ip.length === 8 || ip.length === 32) {
    const half = ip.length / 2
    let bits = 0
    for (const b of ip.subarray(half)) for (let i = 7; i >= 0; i--) bits += (b >> i) & 1
    return `${formatIp(ip.subarray(0, half))}/${bits}`
  }
  return Buffer.from(ip).toString('hex')
}
