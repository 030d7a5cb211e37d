import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  UseGuards,
} from '@nestjs/common';
import { API_ROUTES, deviceUpsertRequestSchema, idSchema } from '@tunnelgate/sessions';
import type * as z from 'zod/mini';
import { ApiTokenGuard } from '../auth/api-token.guard';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { DevicesService } from './devices.service';

const idParam = new ZodValidationPipe(idSchema);

@Controller(API_ROUTES.devices)
@UseGuards(ApiTokenGuard)
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Put(':id')
  upsert(
    @Param('id', idParam) id: string,
    @Body(new ZodValidationPipe(deviceUpsertRequestSchema))
    body: z.output<typeof deviceUpsertRequestSchema>,
  ) {
    return this.devices.upsert(id, body);
  }

  @Get()
  list() {
    return this.devices.list();
  }

  @Get(':id')
  get(@Param('id', idParam) id: string) {
    return this.devices.get(id);
  }

  @Post(':id/connected')
  connected(@Param('id', idParam) id: string) {
    return this.devices.markOnline(id);
  }

  @Post(':id/heartbeat')
  heartbeat(@Param('id', idParam) id: string) {
    return this.devices.markOnline(id);
  }

  @Post(':id/disconnected')
  disconnected(@Param('id', idParam) id: string) {
    return this.devices.markOffline(id, 'reported disconnected');
  }

  @Delete(':id')
  @HttpCode(204)
  delete(@Param('id', idParam) id: string) {
    return this.devices.delete(id);
  }
}
