/** The table or collection a companion layout names does not exist: the engine turns it into not_found. */
export class CompanionNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompanionNotFoundError';
  }
}

/** The table exists but cannot be read as the layout says (a text position column, a missing column): invalid_input. */
export class CompanionLayoutError extends Error {
  constructor(
    message: string,
    readonly problems: string[] = [message],
  ) {
    super(message);
    this.name = 'CompanionLayoutError';
  }
}
