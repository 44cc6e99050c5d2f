/** One verdict of `ocihooks doctor`: what was checked, how it stands, and what was found. */
export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
}
