/** One <testcase> of junit.xml: a <failure> when `failure` is set. */
export interface Case {
  classname: string;
  name: string;
  failure?: { type: string; message: string; detail: string };
}
