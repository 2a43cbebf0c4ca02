"""What the weights of a piece's recall (:mod:`musiclstm.model.recall`) are weights of: its bands
of match lengths and what a length counts. Kept apart from the recall itself (and from torch) so
that the workflow can read them: rule ``fit_recall`` takes them as parameters, and fits its
weights again wherever they change, since a ``recall.json`` fitted on other bands or lengths would
be read against the wrong ones."""

# Lower edges of the bands of match lengths, in notes and rests struck (holds and frame tokens do
# not count); a match shorter than the first has no weight (a note or two recurs everywhere and
# tells little).
BANDS = (3, 6, 12, 24, 48, 96, 192)
# What a match's length counts, as recall.json records it.
LENGTHS = "notes and rests struck"
