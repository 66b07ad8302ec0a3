"""Policy formats round-trip: DCE's X-macro header (the real 562-entry DCE 1.12 table), elfdce's
TSV, and glibc's abilist."""

from __future__ import annotations

import pytest
from conftest import reference_file
from hypothesis import given
from hypothesis import strategies as st

import elfdce
from elfdce.exports import from_elf
from elfdce.exports.abilist import AbilistError, format_abilist, parse_abilist
from elfdce.policy.model import CLASSES, MACROS, Policy, PolicyEntry, PolicyError
from elfdce.policy.tsv import format_tsv, parse_tsv, read_policy
from elfdce.policy.xmacro import format_xmacro, parse_xmacro


def reference_rows() -> list[list[str]]:
    rows = []
    for line in open(reference_file("ns-3-dce-1.12-libc-ns3.tsv")):
        if line.startswith("#") or line.startswith("macro\t"):
            continue
        rows.append((line.rstrip("\n").split("\t") + [""] * 4)[:4])
    return rows


def header_from_reference(rows) -> str:
    """A libc-ns3.h written the way DCE writes it: comments, #ifdef blocks, odd spacing."""
    out = ["/* DCE 1.12 table, rebuilt for the test */", "#ifndef DCE", "#error no DCE", "#endif",
           "#ifndef NATIVE", "#define NATIVE DCE", "#endif", ""]
    for i, (macro, name, extra, guard) in enumerate(rows):
        before = MACROS[macro][1]
        parts = extra.split("|") if extra else []
        args = ", ".join(parts[:before] + [name] + parts[before:])
        line = f"{macro}{' ' * (1 + i % 3)}({args})"
        if i % 7 == 0:
            line += "  // a trailing comment"
        if guard:
            out += [f"#ifdef {guard}", line, "#endif"]
        else:
            out.append(line)
        if i % 50 == 0:
            out.append("// SECTION.H")
    out += ["#undef DCE", "#undef NATIVE"]
    return "\n".join(out) + "\n"


def test_dce_112_table_imports_all_562_entries_in_order():
    rows = reference_rows()
    assert len(rows) == 562
    policy = parse_xmacro(header_from_reference(rows))
    assert len(policy.entries) == 562
    for (macro, name, extra, guard), e in zip(rows, policy.entries):
        assert (e.macro, e.name, e.guard or "") == (macro, name, guard)
        # the reference writes the commas inside a function type as | too
        assert "|".join(e.extra).replace(", ", "|") == extra
        assert e.cls == MACROS[macro][0]
    kinds = [e.cls for e in policy.entries]
    assert kinds.count("DCE") + kinds.count("NATIVE") == 562


def test_dce_112_table_round_trips_through_all_formats():
    policy = parse_xmacro(header_from_reference(reference_rows()))
    assert parse_xmacro(format_xmacro(policy)) == policy
    assert parse_tsv(format_tsv(policy)) == policy


def test_exported_header_compiles_as_an_x_macro_table(tmp_path, gcc):
    import subprocess

    policy = parse_xmacro(header_from_reference(reference_rows()))
    (tmp_path / "libc-ns3.h").write_text(format_xmacro(policy))
    # Count the DCE and NATIVE entries the way DCE's struct Libc includes the table.
    (tmp_path / "count.c").write_text(
        '#define HAVE_SECURE_GETENV 1\n#define HAVE___EXPLICIT_BZERO 1\n'
        "#define DCE(name) +1\n#define NATIVE(name) +1000\n"
        "int entries = 0\n#include \"libc-ns3.h\"\n;\n")
    out = subprocess.run([gcc, "-E", "-P", str(tmp_path / "count.c")], capture_output=True,
                         text=True, check=True).stdout
    total = eval(" ".join(out.split("=", 1)[1].split(";")[0].split()))  # noqa: S307 - ours
    dce = sum(1 for e in policy.table() if e.cls == "DCE")
    assert total == dce + 1000 * (len(policy.table()) - dce)


IDENT = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True)
TYPES = st.sampled_from(["int", "double", "long long int", "char *", "struct timespec *",
                         "void * (*)(void *, int, size_t)"])


@st.composite
def entries(draw):
    cls = draw(st.sampled_from(CLASSES))
    macros = [m for m, (c, _, _) in MACROS.items() if c == cls] + [""]
    macro = draw(st.sampled_from(macros))
    extra: tuple = ()
    if macro.endswith("ALIAS2"):
        extra = (draw(IDENT),)
    elif macro in ("DCET", "NATIVET", "NATIVE_EXPLICIT"):
        extra = (draw(TYPES),)
    elif macro == "DCE_EXPLICIT":
        extra = tuple(draw(st.lists(TYPES, min_size=1, max_size=4)))
    note = draw(st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
                        max_size=20)).strip()
    return PolicyEntry(draw(IDENT), cls, macro, extra, draw(st.one_of(st.none(), IDENT)), note)


@given(st.lists(entries(), max_size=30, unique_by=lambda e: e.name))
def test_tsv_round_trips_any_policy(entries):
    policy = Policy(tuple(entries))
    assert parse_tsv(format_tsv(policy)) == policy


@pytest.mark.parametrize("text,line,words", [
    ("# elfdce policy 1\nsocket\tDCE\tDCE\nbind\tSIMULATED\n", 3, "class 'SIMULATED'"),
    ("# elfdce policy 1\nsocket\tNATIVE\tDCE\n", 2, "makes a DCE entry"),
    ("# elfdce policy 1\nsocket\tDCE\nsocket\tDCE\n", 3, "already on line 2"),
    ("# elfdce policy 1\n\n9lives\tDCE\n", 3, "not a symbol name"),
])
def test_broken_tsv_lines_are_named(tmp_path, text, line, words):
    path = tmp_path / "p.tsv"
    path.write_text(text)
    with pytest.raises(PolicyError) as info:
        read_policy(str(path))
    assert str(info.value).startswith(f"{path}:{line}: ") and words in str(info.value)


@pytest.mark.parametrize("text,line,words", [
    ("DCE (socket)\nDCEE (bind)\n", 2, "not a table entry: 'DCEE"),
    ("DCE (socket)\n\nDCE_WITH_ALIAS2 (malloc)\n", 3, "takes 2 argument"),
    ("/* x\n y */\nDCE (socket, extra)\n", 3, "takes 1 argument"),
    ("#ifdef X\nDCE (socket)\n", None, "#if without #endif"),
    ("DCE (socket\n", 1, "unbalanced"),
])
def test_broken_header_lines_are_named(text, line, words):
    with pytest.raises(PolicyError) as info:
        parse_xmacro(text, "libc-ns3.h")
    where = f"libc-ns3.h:{line}: " if line else "libc-ns3.h: "
    assert str(info.value).startswith(where) and words in str(info.value)


def test_missing_policy_file():
    with pytest.raises(PolicyError, match=r"^/nonexistent\.tsv: No such file"):
        read_policy("/nonexistent.tsv")


def test_abilist_round_trip_of_the_host_libc(host_libc):
    exports = from_elf(elfdce.scan(host_libc))
    text = format_abilist(exports)
    public = [p for p in exports.pairs if p.version != "GLIBC_PRIVATE"]
    assert len(text.splitlines()) == len(public)
    back = parse_abilist(text)
    assert {(p.name, p.version, p.kind if p.kind != "GNU_IFUNC" else "FUNC", p.size if p.is_data else 0)
            for p in public} == {(p.name, p.version, p.kind, p.size) for p in back.pairs}
    assert format_abilist(back) == text
    assert not back.defaults_known


def test_abilist_errors_name_the_line():
    with pytest.raises(AbilistError, match=r"^x\.abilist:2: expected"):
        parse_abilist("GLIBC_2.2.5 abort F\nGLIBC_2.2.5 stdin Q\n", "x.abilist")
    with pytest.raises(AbilistError, match=r"^x\.abilist:1: size 'big'"):
        parse_abilist("GLIBC_2.2.5 stdin D big\n", "x.abilist")


@given(st.lists(entries(), max_size=30, unique_by=lambda e: e.name))
def test_xmacro_round_trips_any_table(entries):
    # the X-macro form keeps table entries (no note; IFUNC is written as NATIVE)
    table = tuple(e._replace(note="", cls=MACROS[e.macro][0]) for e in entries if e.macro)
    assert parse_xmacro(format_xmacro(Policy(table))) == Policy(table)
