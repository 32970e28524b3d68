/** Whether a bind address is loopback only. */
export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === "::1" || address === "localhost";
}
