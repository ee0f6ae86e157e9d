import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// Served by assetsvc under /ui (assetsvc/api/ui.py); `npm run dev` proxies the API to a local `assetsvc serve`.
export default defineConfig({
  base: '/ui/',
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline polyfill script: the CSP allows scripts from our own files only.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1200,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8750' } },
})
