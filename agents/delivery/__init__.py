"""Delivering alerts to people and systems (docs/delivery.md).

One stage per module, in the order a delivery meets them:

    routing.py     which receivers an alert goes to (config routes, default route)
    silences.py    muted by a silence?            quiet.py      deferred by quiet hours?
    ratelimit.py   wait for a token                ledger.py     state per (alert, receiver)
    dispatcher.py  decide -> send -> record (delivered | park for retry | dead-letter)
    queues.py      one bounded queue and worker per receiver, so a dead one holds up no other
    acks.py        an alert's offset is acked only when every delivery of it is recorded
    agent.py       the Faust agents that wire it onto the app

Receivers share one protocol (receiver.py) and one retry policy (retry.py): ``webhook.py``,
``slack.py`` (+ ``slack_blocks.py``), ``files.py``.
"""
