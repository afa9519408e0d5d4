"""The objection walkthrough: classify, validate, clarify, ask, escalate, resolve.

`walk` records steps, `escalation` tells the sponsor and adds the follow-ups, `views` shapes
what surfaces show, `forms` reads what was typed, `lists` finds the ones still open,
`follow_ups` are the checklist steps an escalation adds.
"""
