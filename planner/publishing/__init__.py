"""Publishing: immutable, redacted, versioned drafts of an option for union representatives,
their responses, and the consultation pack. Imports every domain floor below; nothing above."""
