// Whether the window is phone-narrow (under 640 px), kept current while a screen shows it: two-column
// field lists (el-descriptions) become one column there, or their right half runs off the screen.
import { onBeforeUnmount, ref } from 'vue'

export function useNarrow(maxWidth = 640) {
  const query = window.matchMedia(`(max-width: ${maxWidth - 1}px)`)
  const narrow = ref(query.matches)
  const update = (e: MediaQueryListEvent) => (narrow.value = e.matches)
  query.addEventListener('change', update)
  onBeforeUnmount(() => query.removeEventListener('change', update))
  return narrow
}
