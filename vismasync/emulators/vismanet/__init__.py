"""Offline emulator of the Visma.net ERP service API (``api.finance.visma.net``).

``backend`` holds the company state and enforces the service's rules without HTTP; ``api``
renders the wire format; ``errors`` renders the service's error bodies; ``seed`` builds the demo
and empty companies; ``auth`` and ``ratelimit`` emulate Visma Connect tokens and the hourly budget.
"""
