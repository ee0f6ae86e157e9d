// A clock that ticks every second while a screen shows it (SLA countdowns).
import { onBeforeUnmount, ref } from 'vue'

export function useNow() {
  const now = ref(Date.now() / 1000)
  const timer = window.setInterval(() => (now.value = Date.now() / 1000), 1000)
  onBeforeUnmount(() => window.clearInterval(timer))
  return now
}
