"""The composition root: settings, bootstrap() and the `ledger-connect` command line."""
