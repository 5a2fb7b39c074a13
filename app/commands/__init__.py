"""One module per `ledger-connect` command, each with `register(subparsers)`."""
