"""A local stand-in for Xero's identity, connections and accounting APIs (demo and tests)."""

from xero_emulator.app import create_app
from xero_emulator.server import RunningEmulator, run, start_in_thread
from xero_emulator.settings import ClientRegistration, EmulatorSettings, RateLimitSettings

__all__ = [
    "ClientRegistration",
    "EmulatorSettings",
    "RateLimitSettings",
    "RunningEmulator",
    "create_app",
    "run",
    "start_in_thread",
]
