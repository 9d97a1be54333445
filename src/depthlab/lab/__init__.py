"""The harness around the library: results, run folders, the HTML report, config parsing, the CLI, progress.

The library (network, construct, regions, train, evidence, ...) never imports from here except
`depthlab.lab.progress` for progress bars; experiments and the CLI build on both.
"""
