"""`make preview`: every surface the app shows, built by its real builders with realistic data,
written as Block Kit JSON with a Block Kit Builder link each, so a designer needs no workspace.

`surfaces.py` is the registry (what is shown, with which data); `write.py` writes the files and
the links. tests/test_preview.py checks that the registry keeps up with the builders.
"""
