"""Replay twin of the web sources: a local server answering like the Enedis, ADEME and BAN hosts."""

from volt.etl.sources.replay.faults import Fault, Faults, LogEntry, RequestLog, max_in_window
from volt.etl.sources.replay.server import ReplayServer
from volt.etl.sources.replay.world import World

__all__ = ["Fault", "Faults", "LogEntry", "ReplayServer", "RequestLog", "World", "max_in_window"]
