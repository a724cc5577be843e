import {type FusedBinding, type FusedNode, float32Attr} from './native.js';

let created = 0;
// One prefix per process: resource names must not collide with other TF users in the process.
// (`process` may be absent: this module is also bundled into browser pages through loss-scale.)
const pid = (globalThis as {process?: {pid?: number}}).process?.pid ?? 0;
const PREFIX = `tfjs_amp_fused_${pid}_${Date.now().toString(36)}_`;

/**
 * A float32 TensorFlow resource variable (`VarHandleOp`) owned by JavaScript: the handle is a
 * native tensor of dtype `DT_RESOURCE` that no tfjs tensor wraps. {@link destroy} runs
 * `DestroyResourceOp` (which frees the buffer held by TF's resource manager) and deletes the
 * handle; nothing else frees it.
 */
export class ResourceVariable {
  /** The native id of the resource handle. */
  readonly handleId: number;
  private destroyed = false;

  constructor(
    private readonly node: FusedNode,
    readonly shape: readonly number[],
  ) {
    const b = this.binding;
    const [handle] = b.executeOp(
      'VarHandleOp',
      [
        {name: 'container', type: b.TF_ATTR_STRING, value: ''},
        {name: 'shared_name', type: b.TF_ATTR_STRING, value: `${PREFIX}${++created}`},
        float32Attr(b, 'dtype'),
        {name: 'shape', type: b.TF_ATTR_SHAPE, value: [...shape]},
      ],
      [],
      1,
    );
    this.handleId = handle!.id;
  }

  // Read at every call: tests and profilers swap the backend's binding for a recording copy.
  private get binding(): FusedBinding {
    return this.node.binding;
  }

  /** Copies the float32 tensor with native id `valueId` into the variable (`AssignVariableOp`). */
  assign(valueId: number): void {
    this.binding.executeOp(
      'AssignVariableOp',
      [
        float32Attr(this.binding, 'dtype'),
        {name: 'validate_shape', type: this.binding.TF_ATTR_BOOL, value: false},
      ],
      [this.handleId, valueId],
      0,
    );
  }

  /** Sets every element to 0 (`ZerosLike` of `likeId`, a tensor of the same shape, then assign). */
  assignZeros(likeId: number): void {
    const [zeros] = this.binding.executeOp(
      'ZerosLike',
      [float32Attr(this.binding, 'T')],
      [likeId],
      1,
    );
    try {
      this.assign(zeros!.id);
    } finally {
      this.binding.deleteTensor(zeros!.id);
    }
  }

  /**
   * The current value as a new native handle (`ReadVariableOp`; it shares the buffer until the
   * next update, which then copies). The caller owns the returned handle.
   */
  read(): {id: number; shape: number[]; dtype: number} {
    const [out] = this.binding.executeOp(
      'ReadVariableOp',
      [float32Attr(this.binding, 'dtype')],
      [this.handleId],
      1,
    );
    return out!;
  }

  /** A new handle holding a copy of the value that later updates do not touch (`Snapshot`). */
  snapshot(): {id: number; shape: number[]; dtype: number} {
    const read = this.read();
    try {
      const [copy] = this.binding.executeOp(
        'Snapshot',
        [float32Attr(this.binding, 'T')],
        [read.id],
        1,
      );
      return copy!;
    } finally {
      this.binding.deleteTensor(read.id);
    }
  }

  /** Frees the variable and its handle; later calls do nothing. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    try {
      this.binding.executeOp(
        'DestroyResourceOp',
        [{name: 'ignore_lookup_error', type: this.binding.TF_ATTR_BOOL, value: true}],
        [this.handleId],
        0,
      );
    } finally {
      this.binding.deleteTensor(this.handleId);
    }
  }
}
