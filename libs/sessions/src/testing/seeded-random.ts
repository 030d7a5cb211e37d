/**
 * Numbers in [0, 1) from a seed (xorshift32): the same sequence on every run, so a failing
 * generated case can be replayed from the seed its test names.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}
