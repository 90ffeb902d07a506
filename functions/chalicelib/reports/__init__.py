"""A report and how it is received: models, validation, the intake, files of evidence.

``intake.Intake`` is the confidentiality argument in code (validate, seal, store, answer
with a receipt); ``attachments`` is the one gate a file passes before it is sealed;
``validation`` turns bodies and model errors into stable, bilingual refusals. Officers'
phone intake (a later part) will call the same ``Intake``.
"""
