"""The sync engine: what every flow shares, written once.

A flow declares its entity (:class:`~vismasync.engine.entity.EntitySpec`): how to read the source,
the steps of one batch, its child writes. The engine runs read -> skip unchanged -> steps ->
settle -> advance watermark -> report for every flow, and owns the one exactly-once write path
(:mod:`vismasync.engine.write_once`). It sits below ``tasks/``: tasks import it, never the other
way round.
"""
