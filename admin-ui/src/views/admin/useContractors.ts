// The contractors (id and name) for the forms that bind a user or a webhook to one.
import { ref } from 'vue'
import { api, unwrap } from '../../api/client'

export function useContractors() {
  const contractors = ref<{ id: number; name: string }[]>([])

  async function loadContractors(): Promise<void> {
    const data = await unwrap(api.GET('/api/v1/contractors', { params: { query: { per_page: 500, sort: 'name' } } }))
    contractors.value = (data as unknown as { items: { id: number; name: unknown }[] }).items
      .map((c) => ({ id: c.id, name: String(c.name) }))
  }

  const nameOf = (id: number | null | undefined): string => contractors.value.find((c) => c.id === id)?.name ?? (id ? `#${id}` : '')
  return { contractors, loadContractors, nameOf }
}
