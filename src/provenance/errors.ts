// The provenance domain's error: a receipt, manifest or proof input that is wrong, naming the field
// (e.g. `batch.proof[2]`) and the reason, so every surface reports it the same way.
import { MachinaError } from '../errors/index.ts';

export class ProvenanceError extends MachinaError {
  override name = 'ProvenanceError';
  constructor(field: string, reason: string, code = 'INVALID_PROVENANCE') {
    super(`${field}: ${reason}`, { code, field });
  }
}
