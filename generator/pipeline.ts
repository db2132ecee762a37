// The front end's stages, in order, in one place. Each pass is a function in its own file
// under passes/, named by what it does, with one signature: (session) => void. A stage ends
// the run if any of its passes reported an error, after all of them have run.
import { Diagnostics } from './diagnostics.js';
import { Abi, AbiName, ABIS } from './model/abi.js';
import { Declarations } from './model/declarations.js';
import { DocComments } from './model/doc-comments.js';
import { emptyModel, Model } from './model/model.js';
import { ExternalDeclaration } from './parse/ast.js';
import { LexedFile } from './preprocess/lexer.js';
import { FileCache, PreprocessResult } from './preprocess/preprocessor.js';
import { readHeaders } from './passes/read-headers.js';
import { preprocess } from './passes/preprocess.js';
import { parse } from './passes/parse.js';
import { buildDeclarations } from './passes/build-declarations.js';
import { evaluateConstants } from './passes/evaluate-constants.js';
import { bindCommentedFamilies } from './passes/bind-commented-families.js';
import { bindFlagFamilies } from './passes/bind-flag-families.js';
import { findIoctls } from './passes/find-ioctls.js';
import { linkCapabilities } from './passes/link-capabilities.js';
import { groupApiStrings } from './passes/group-api-strings.js';
import { findIndexEnums } from './passes/find-index-enums.js';
import { applyOverrides, Overrides } from './passes/apply-overrides.js';

export interface ModelOptions {
  abi: AbiName;
  /** Extra include directories (-I), searched before the system ones. */
  includeDirs?: string[];
  /** Declarative corrections where the conventions cannot decide (a unit's overrides in uapi/manifest.json). */
  overrides?: Overrides;
  /** Headers given by absolute path under this directory are named relative to it (stable output). */
  displayRoot?: string;
  /** Shared between runs so that each header is lexed once per process. */
  cache?: FileCache;
}

export interface Session {
  abi: Abi;
  options: ModelOptions;
  diags: Diagnostics;
  cache: FileCache;
  /** The header names as the user gave them. */
  headerNames: string[];
  headers: LexedFile[];
  pp?: PreprocessResult;
  /** Comments indexed for attachment; built once, after preprocessing. */
  docs?: DocComments;
  ast?: ExternalDeclaration[];
  model: Model;
}

type Pass = (session: Session) => void;

export const STAGES: { name: string; passes: Pass[] }[] = [
  { name: 'read', passes: [readHeaders] },
  { name: 'preprocess', passes: [preprocess] },
  { name: 'parse', passes: [parse] },
  { name: 'declarations', passes: [buildDeclarations] },
  { name: 'constants', passes: [evaluateConstants] },
  { name: 'semantics', passes: [bindCommentedFamilies, bindFlagFamilies, findIoctls, linkCapabilities, groupApiStrings, findIndexEnums, applyOverrides] },
];

export interface StageTiming {
  stage: string;
  ms: number;
}

/** Reads headers into a model. Throws DiagnosticError (with every error of the failing stage). */
export function buildModel(headerNames: string[], options: ModelOptions, timings?: StageTiming[]): Model {
  const abi = ABIS[options.abi];
  const diags = new Diagnostics();
  const session: Session = {
    abi,
    options,
    diags,
    cache: options.cache ?? new FileCache(),
    headerNames,
    headers: [],
    model: emptyModel(abi, new Declarations(abi, diags)),
  };
  for (const stage of STAGES) {
    const t0 = performance.now();
    for (const pass of stage.passes) pass(session);
    diags.throwIfErrors();
    timings?.push({ stage: stage.name, ms: performance.now() - t0 });
  }
  session.model.diagnostics = diags.list;
  return session.model;
}
