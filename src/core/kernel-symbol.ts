// What a kernel symbol name may look like, said once for the host (btf, kallsyms lookups), the
// message contract and the webview (probe names). No vscode, node or DOM import.

/** C identifiers, plus the `.isra.0` / `.cold` suffixes the compiler adds; at most 128 chars. */
export const KERNEL_SYMBOL_PATTERN = '[A-Za-z_][A-Za-z0-9_.]{0,127}';

const WHOLE = new RegExp(`^${KERNEL_SYMBOL_PATTERN}$`);

export function isKernelSymbol(name: string): boolean {
  return WHOLE.test(name);
}
