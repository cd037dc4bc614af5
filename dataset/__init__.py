"""The dataset builder: from a Go file listing (the-stack-v2-dedup's schema) to training rows.

`python -m dataset.build --help` runs it; the README's "The dataset builder" section shows how.
The stages, each in its own module: `listing` (read and group the listing), `sources` and
`download` (fetch each repo at its revision, cached), `extract` (unpack safely), `modules` (go.mod
parses, dependencies resolve), `filters` (which files and packages can be test targets),
`targets` and `prompts` (what the model is asked), `tokens` (the prompt length limit), `split`
(train or test, by repository), `repo` (one repository end to end), `pipeline` (sharded and
resumable on datatrove), `assemble` (the dataset on disk), `counts` (what each stage kept and
dropped, and why).
"""
