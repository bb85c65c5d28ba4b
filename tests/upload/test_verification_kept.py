"""A verification is kept for the next step (page, preview, load) only while the repository
stays as it was: once a run changed it, the file is verified again, and what became wrong shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from headcount.errors import RunRefused
from headcount.upload.uploads import load, receive, verification_of
from uploadproject import sample

NEW_SITE = "Command,Identifier,DisplayName,Time zone\nAdd,LYS,Lyon Saint-Exupéry,Europe/Paris\n"


def test_a_file_that_a_later_load_made_wrong_is_found_wrong(tmp_path: Path, db_url: str
                                                            ) -> None:
    with sample(tmp_path / "p", db_url) as ctx:
        first, checked = receive(ctx, NEW_SITE.encode(), "Site.csv", "alice")
        second, again = receive(ctx, NEW_SITE.encode(), "Site.csv", "bob")
        assert checked is not None
        assert checked.ok, checked.errors
        assert again is not None
        assert again.ok
        # Nothing ran since: the second file's verification is the one made on receipt.
        assert verification_of(ctx, second.id) is again
        run = load(ctx, first.id, "alice")
        assert run.state in ("succeeded", "succeeded with warnings")
        now = verification_of(ctx, second.id)
        assert now is not None
        assert now is not again
        assert [(p.tab, p.row, p.column, p.value) for p in now.errors] == [
            ("Site", 2, "Command", "Add")]
        assert now.errors[0].message.startswith("`LYS` already exists")
        with pytest.raises(RunRefused, match="errors"):
            load(ctx, second.id, "bob")


@pytest.mark.parametrize(("given", "kept"), [
    ("..", "upload"), ("a/../..", "upload"), ("C:\\HR\\Site.csv", "Site.csv"),
    ("é" * 200 + ".csv", "é" * 58 + ".csv")])
def test_a_file_name_is_kept_short_and_without_folders(tmp_path: Path, db_url: str,
                                                        given: str, kept: str) -> None:
    with sample(tmp_path / "p", db_url, synchronized=False) as ctx:
        upload, _ = receive(ctx, NEW_SITE.encode(), given, "alice")
        assert upload.file_name == kept
        assert upload.state in ("refused", "errors", "verified")
