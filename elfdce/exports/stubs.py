"""Assembly for a stub library that defines every pair of an export set with a placeholder.

Linked ``-shared -nostdlib`` with the set's exact version script, it exports the same
(name, version, @@/@, size) pairs as the library the set came from, and the same kinds but for
GNU_IFUNC, which becomes FUNC; there is no code that works. Uses: a link-time stand-in (link a program as if against an older glibc), and the
loader-level proof that a version map is complete (``ld.so`` binds a program against it in trace
mode without running it). Assembly, not C, so that no libc name clashes with a compiler
built-in, and the same text assembles for every architecture GNU as supports.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .sets import ExportPair, ExportSet


def _define(symbol: str, pair: ExportPair) -> list[str]:
    size = max(pair.size, 1)
    lines = [f"\t.globl {symbol}"]
    if pair.kind == "TLS":
        lines += ['\t.section .tbss,"awT",%nobits', "\t.balign 8",
                  f"\t.type {symbol}, %tls_object"]
    elif pair.is_data:
        lines += ["\t.data", "\t.balign 8", f"\t.type {symbol}, %object"]
    else:
        # An IFUNC becomes a plain function: ld.so would call an IFUNC's "resolver" at bind
        # time, and these placeholders are not code.
        lines += ["\t.text", f"\t.type {symbol}, %function"]
    lines += [f"{symbol}:", f"\t.zero {size}", f"\t.size {symbol}, {size}"]
    return lines


def stub_assembly(exports: ExportSet) -> str:
    """GNU assembler source defining every pair of ``exports`` (see the module docstring).

    Pairs that `ExportSet.symver_pairs` names are defined under their internal name and exported
    through ``.symver``; the others under their own name, versioned by the script.
    """
    symver = set(exports.symver_pairs())
    lines = [f"/* elfdce stub for {exports.soname or 'a library'}: placeholders only */"]
    seen: set[str] = set()
    for pair in exports.pairs:
        if pair in symver:
            lines += _define(pair.internal_name, pair)
            lines.append(f"\t.symver {pair.internal_name}, {pair.label}")
        elif pair.name not in seen:
            seen.add(pair.name)
            lines += _define(pair.name, pair)
    return "\n".join(lines) + "\n"
