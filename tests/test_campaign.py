"""A slice of the mutation campaign (tests/campaign.py): every command that reads a file, on
mutated real libcs and a small library, each case forked with an address-space limit: no
traceback, no exit status outside 0-3, none over 2 s or 200 MB."""

import campaign
import pytest


@pytest.mark.slow
def test_a_slice_of_the_campaign(capsys):
    status = campaign.main(["--cases", "400", "--workers", "2", "--seed", "7"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "400 cases" in out and " 400 ok;" in out
