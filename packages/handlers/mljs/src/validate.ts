import type { JsonValue } from '@omega/core'

/**
 * Structural checks of stored ml.js JSON, run before a class's `load` sees it. ml.js trusts its
 * input: `LogisticRegression.load` loops `numberClasses` times, so 88 stored bytes claiming 1e9
 * classes exhaust the heap and abort the process. Every count that a loader or predictor loops
 * over must agree with the data actually present; each check throws an Error naming the path.
 */

type Obj = Record<string, JsonValue>

function fail(path: string, why: string): never {
  throw new Error(`stored model JSON: ${path} ${why}`)
}

function object(value: JsonValue | undefined, path: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'must be an object')
  return value as Obj
}

function array(value: JsonValue | undefined, path: string): JsonValue[] {
  if (!Array.isArray(value)) fail(path, 'must be an array')
  return value as JsonValue[]
}

function count(value: JsonValue | undefined, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(path, 'must be a non-negative integer')
  return value as number
}

function finite(value: JsonValue | undefined, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'must be a finite number')
  return value as number
}

function name(json: Obj, expected: string): void {
  if (json.name !== expected) fail('name', `must be "${expected}"`)
}

/** A non-empty rectangular matrix of numbers (`null` allowed in cells, as JSON writes NaN); returns [rows, columns]. */
function matrix(value: JsonValue | undefined, path: string): [number, number] {
  const rows = array(value, path)
  if (rows.length === 0) fail(path, 'must have at least one row')
  const width = array(rows[0], `${path}[0]`).length
  if (width === 0) fail(path, 'must have at least one column')
  rows.forEach((row, i) => {
    const cells = array(row, `${path}[${i}]`)
    if (cells.length !== width) fail(`${path}[${i}]`, `has ${cells.length} values, row 0 has ${width}`)
    for (const cell of cells) if (cell !== null && typeof cell !== 'number') fail(`${path}[${i}]`, 'must hold numbers')
  })
  return [rows.length, width]
}

/** An ml-cart tree (`DTClassifier` / `DTRegression`): every inner node splits and has two children; leaves hold a distribution. */
function tree(value: JsonValue | undefined, path: string, classifier: boolean): void {
  const json = object(value, path)
  if (json.name !== (classifier ? 'DTClassifier' : 'DTRegression')) fail(`${path}.name`, `must be "${classifier ? 'DTClassifier' : 'DTRegression'}"`)
  object(json.options, `${path}.options`)
  // Iterative: a deep hostile tree must not exhaust the stack here (load itself recurses, and a
  // RangeError from there is reported like any other load failure).
  const stack: [JsonValue | undefined, string][] = [[json.root, `${path}.root`]]
  while (stack.length > 0) {
    const [node, at] = stack.pop()!
    const n = object(node, at)
    if (n.distribution !== undefined) {
      if (classifier) matrix(n.distribution, `${at}.distribution`)
      else if (n.distribution !== null && typeof n.distribution !== 'number') fail(`${at}.distribution`, 'must be a number')
      continue
    }
    finite(n.splitValue, `${at}.splitValue`)
    count(n.splitColumn, `${at}.splitColumn`)
    stack.push([n.left, `${at}.left`], [n.right, `${at}.right`])
  }
}

/**
 * Checks the stored JSON of a fitted ml.js model of class `cls` (one of the six registered).
 * Unfitted models are stored as hyper-parameters, which `create` only copies.
 */
export function validateMljs(cls: string, value: JsonValue, fitted = true): void {
  if (!fitted) return
  const json = object(value, 'model')
  switch (cls) {
    case 'LogisticRegression': {
      name(json, 'LogisticRegression')
      const classifiers = array(json.classifiers, 'classifiers')
      const classes = count(json.numberClasses, 'numberClasses')
      if (classes !== classifiers.length) fail('numberClasses', `is ${classes} but ${classifiers.length} classifiers are stored`)
      let width: number | undefined
      classifiers.forEach((c, i) => {
        const weights = object(c, `classifiers[${i}]`).weights
        if (weights === null || weights === undefined) fail(`classifiers[${i}].weights`, 'is missing (an unfitted classifier)')
        const [rows, columns] = matrix(weights, `classifiers[${i}].weights`)
        if (rows !== 1) fail(`classifiers[${i}].weights`, `has ${rows} rows, 1 expected`)
        if (width !== undefined && columns !== width) fail(`classifiers[${i}].weights`, `has ${columns} features, classifier 0 has ${width}`)
        width = columns
      })
      return
    }
    case 'DecisionTreeClassifier':
    case 'DecisionTreeRegression':
      return tree(json, 'model', cls === 'DecisionTreeClassifier')
    case 'RandomForestClassifier':
    case 'RandomForestRegression': {
      const classifier = cls === 'RandomForestClassifier'
      name(json, classifier ? 'RFClassifier' : 'RFRegression')
      const base = object(json.baseModel, 'baseModel')
      if (base.isClassifier !== classifier) fail('baseModel.isClassifier', `must be ${classifier}`)
      const estimators = array(base.estimators, 'baseModel.estimators')
      const n = count(base.nEstimators, 'baseModel.nEstimators')
      if (n !== estimators.length) fail('baseModel.nEstimators', `is ${n} but ${estimators.length} trees are stored`)
      const indexes = array(base.indexes, 'baseModel.indexes')
      if (indexes.length !== n) fail('baseModel.indexes', `has ${indexes.length} entries for ${n} trees`)
      indexes.forEach((cols, i) => array(cols, `baseModel.indexes[${i}]`).forEach((c, j) => count(c, `baseModel.indexes[${i}][${j}]`)))
      estimators.forEach((t, i) => tree(t, `baseModel.estimators[${i}]`, classifier))
      return
    }
    case 'MultivariateLinearRegression': {
      name(json, 'multivariateLinearRegression')
      const [rows, columns] = matrix(json.weights, 'weights')
      const inputs = count(json.inputs, 'inputs')
      const outputs = count(json.outputs, 'outputs')
      if (typeof json.intercept !== 'boolean') fail('intercept', 'must be a boolean')
      if (rows !== inputs + (json.intercept ? 1 : 0)) fail('weights', `has ${rows} rows for ${inputs} inputs${json.intercept ? ' and an intercept' : ''}`)
      if (columns !== outputs) fail('weights', `has ${columns} columns for ${outputs} outputs`)
      return
    }
    default:
      fail('model', `has no validator for ${cls}`)
  }
}
