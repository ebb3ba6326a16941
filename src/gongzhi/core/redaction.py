"""What replaces personal free text in an anonymised record.

Defined here, at the bottom, because both sides read it: the privacy purge
(``privacy.retention.MARKER``) writes it, and modules below privacy skip records that carry it
(the category classifier, ``cases.classify``, learns nothing from removed text).
"""

#: Fixed, so that the purge can tell an anonymised record from one it has yet to do.
ANONYMISED = "〔已匿名〕"
