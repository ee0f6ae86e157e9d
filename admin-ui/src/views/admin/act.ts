// What every administration screen does with a change: busy while it runs, the API's error (in the user's language, api/errorText.ts) on
// failure (with its field errors for the form), a short success note, then reload.
import { ref } from 'vue'
import { ElMessage } from 'element-plus'
import { ApiError } from '../../api/client'
import { showError, fieldErrors as apiFieldErrors } from '../../api/errorText'

export function useAct() {
  const busy = ref(false)
  const fieldErrors = ref<Record<string, string>>({})

  /** Run a change; true when it worked. */
  async function act(call: () => Promise<unknown>, done?: string): Promise<boolean> {
    busy.value = true
    fieldErrors.value = {}
    try {
      await call()
      if (done) ElMessage.success(done)
      return true
    } catch (e) {
      if (e instanceof ApiError) fieldErrors.value = apiFieldErrors(e)
      showError(e)
      return false
    } finally {
      busy.value = false
    }
  }

  return { busy, fieldErrors, act }
}

/** A random temporary password (16 characters, no look-alikes), for the office to hand over. */
export function temporaryPassword(): string {
  const letters = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => letters[b % letters.length]).join('')
}
