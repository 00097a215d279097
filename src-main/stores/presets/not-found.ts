/** The database holds no store of the chosen preset; the engine turns it into a not_found error. */
export class StoreNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreNotFoundError';
  }
}
