"""The harness, the top floor: the CLI, run folders, the HTML report, config parsing, sweeps and their executors.

It imports the experiments (`depthlab.experiments`), the contracts they are written against
(`depthlab.contracts`) and the library; nothing below imports it.
"""
