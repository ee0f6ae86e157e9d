// Dump the service's OpenAPI schema to openapi.json without a server (python -m assetsvc.api.schema_dump),
// so the client types (src/api/schema.d.ts) follow the API: a changed endpoint breaks `npm run build`.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const repo = resolve(here, '..', '..')
const python = process.env.ASSETSVC_PYTHON || resolve(repo, '.venv', 'bin', 'python')
if (!existsSync(python)) {
  console.error(`admin-ui: no python with assetsvc installed at ${python}; ` +
    'run scripts/test or scripts/demo once (they make .venv), or set ASSETSVC_PYTHON')
  process.exit(1)
}
execFileSync(python, ['-m', 'assetsvc.api.schema_dump', resolve(here, '..', 'openapi.json')],
  { cwd: repo, stdio: 'inherit' })
