/** One explanation as stored: title, cause, fix. */
export type Entry = readonly [title: string, cause: string, fix: string];
