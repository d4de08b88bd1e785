// A stored script: omega runs its run(om, args) on a worker thread, with an om that reaches the
// application's store. It summarises a dataset of sales into a new dataset, one row per region.
export async function run(om, { source, target }) {
  const sales = await om.datasets.get(source)
  const byRegion = new Map()
  for (const row of sales) {
    const r = byRegion.get(row.region) ?? { region: row.region, orders: 0, total: 0 }
    r.orders += 1
    r.total += row.amount
    byRegion.set(row.region, r)
  }
  const summary = [...byRegion.values()]
    .sort((a, b) => (a.region < b.region ? -1 : 1))
    .map((r) => ({ ...r, total: Math.round(r.total * 100) / 100, mean: Math.round((r.total / r.orders) * 100) / 100 }))
  return await om.datasets.put(summary, target, { attributes: { source, rows: sales.numRows } })
}
