/** The version every program answers --version with (the wrapper: --ocihooks-version). */
export const VERSION = '0.1.0';
