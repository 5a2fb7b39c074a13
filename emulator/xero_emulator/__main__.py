"""`python -m xero_emulator`: serve the emulator in the foreground."""

from xero_emulator.server import main

main()
