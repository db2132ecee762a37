// Runs the preprocessor over the headers as one translation unit.
import { DocComments } from '../model/doc-comments.js';
import { Preprocessor } from '../preprocess/preprocessor.js';
import type { Session } from '../pipeline.js';

export function preprocess(s: Session): void {
  const pp = new Preprocessor({ abi: s.abi, includeDirs: s.options.includeDirs, diags: s.diags, cache: s.cache });
  s.pp = pp.run(s.headers);
  s.docs = new DocComments(s.pp.comments);
  s.model.headers = s.headers.map((h) => h.file);
  s.model.files = s.pp.files;
}
