"""The ``geomag`` command line: one entry point for every job (see ``geomag --help``)."""
