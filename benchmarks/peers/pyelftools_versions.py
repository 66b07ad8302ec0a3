"""Peer: print (name@VERSION / name@@VERSION) for every dynamic symbol, with pyelftools."""

import sys

from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerDefSection, GNUVerNeedSection, GNUVerSymSection


def main(path: str) -> None:
    with open(path, "rb") as f:
        elf = ELFFile(f)
        dynsym = elf.get_section_by_name(".dynsym")
        versym = next((s for s in elf.iter_sections() if isinstance(s, GNUVerSymSection)), None)
        names = {}
        for s in elf.iter_sections():
            if isinstance(s, GNUVerDefSection):
                for verdef, auxiter in s.iter_versions():
                    names[verdef["vd_ndx"]] = next(auxiter).name
            elif isinstance(s, GNUVerNeedSection):
                for _verneed, auxiter in s.iter_versions():
                    for aux in auxiter:
                        names[aux["vna_other"]] = aux.name
        out = []
        for i, sym in enumerate(dynsym.iter_symbols()):
            label = sym.name
            if versym is not None:
                v = versym.get_symbol(i)["ndx"]
                if isinstance(v, int) and v > 1:
                    hidden = v & 0x8000 or sym["st_shndx"] == "SHN_UNDEF"
                    label += ("@" if hidden else "@@") + names.get(v & 0x7FFF, "?")
            out.append(label)
        sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
