// tfjs optimizers from the names params.compile takes.
import type * as TF from '@tensorflow/tfjs-core'
import type { CompileParams } from './training-options.js'
import type { Tf } from './tfjs-runtime.js'

/** The tfjs optimizer `compile` names, with its learning rate if one is given. */
export function optimizer(tf: Tf, compile: CompileParams): TF.Optimizer | string {
  const name = compile.optimizer.toLowerCase()
  if (compile.learningRate === undefined && name !== 'momentum') return name
  const lr = compile.learningRate ?? 0.01
  switch (name) {
    case 'sgd':
      return tf.train.sgd(lr)
    case 'momentum':
      return tf.train.momentum(lr, 0.9)
    case 'adam':
      return tf.train.adam(lr)
    case 'adamax':
      return tf.train.adamax(lr)
    case 'adagrad':
      return tf.train.adagrad(lr)
    case 'adadelta':
      return tf.train.adadelta(lr)
    default:
      return tf.train.rmsprop(lr)
  }
}
