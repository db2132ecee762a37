export function verifyCommand(_args: string[]): number {
  return 0;
}
