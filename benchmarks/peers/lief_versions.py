"""Peer: print (name@VERSION / name@@VERSION) for every dynamic symbol, with LIEF."""

import sys

import lief


def main(path: str) -> None:
    config = lief.ELF.ParserConfig()
    config.parse_relocations = False
    elf = lief.ELF.parse(path, config)
    out = []
    for sym in elf.dynamic_symbols:
        label = sym.name
        v = sym.symbol_version if sym.has_version else None
        if v is not None and v.value > 1:
            if v.has_auxiliary_version:
                aux = v.symbol_version_auxiliary
                hidden = v.value & 0x8000 or sym.shndx == 0
                label += ("@" if hidden else "@@") + aux.name
        out.append(label)
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
