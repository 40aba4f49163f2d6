import { createApp, type CreateAppOptions } from '#lib/create-app.ts'
import * as router from './routes/_router.gen.ts'

/**
 * The Flyer app with this project's routes (from the generated router table).
 * @example
 * const res = await buildApp().request('/flyer/v1/health_check')
 */
export const buildApp = (options: Omit<CreateAppOptions, 'router'> = {}) => createApp({ router, ...options })

export type { AppType } from './routes/_router.gen.ts'
