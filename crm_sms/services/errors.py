"""What services raise when asked for something they refuse."""


class FieldError(ValueError):
    """A request that cannot be carried out as asked; ``field`` names the form input at fault.

    Raised before anything is changed, so the caller only shows the message next to that field.
    """

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
