import { ApiRoute } from '../docs/api-route.decorator';
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
import { API_ROUTES, deviceUpsertRequestSchema } from '@tunnelgate/sessions';
import type * as z from 'zod/mini';
import { ApiTokenGuard } from '../auth/api-token.guard';
import { idParam } from '../http/id-param.pipe';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { DevicesService } from './devices.service';

@Controller(API_ROUTES.devices)
@UseGuards(ApiTokenGuard)
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Put(':id')
  @ApiRoute({ summary: 'Register or update a device', body: deviceUpsertRequestSchema })
  upsert(
    @Param('id', idParam) id: string,
    @Body(new ZodValidationPipe(deviceUpsertRequestSchema))
    body: z.output<typeof deviceUpsertRequestSchema>,
  ) {
    return this.devices.upsert(id, body);
  }

  @Get()
  @ApiRoute({ summary: 'All devices' })
  list() {
    return this.devices.list();
  }

  @Get(':id')
  @ApiRoute({ summary: 'One device', errors: { 404: 'no such device' } })
  get(@Param('id', idParam) id: string) {
    return this.devices.get(id);
  }

  @Post(':id/connected')
  @HttpCode(200)
  @ApiRoute({ summary: 'The device tunnel is up: online', errors: { 404: 'no such device' } })
  connected(@Param('id', idParam) id: string) {
    return this.devices.markOnline(id);
  }

  @Post(':id/heartbeat')
  @HttpCode(200)
  @ApiRoute({ summary: 'The device is alive: online, seen now', errors: { 404: 'no such device' } })
  heartbeat(@Param('id', idParam) id: string) {
    return this.devices.markOnline(id);
  }

  @Post(':id/disconnected')
  @HttpCode(200)
  @ApiRoute({ summary: 'The device tunnel is down: offline', errors: { 404: 'no such device' } })
  disconnected(@Param('id', idParam) id: string) {
    return this.devices.markOffline(id, 'reported disconnected');
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiRoute({ summary: 'Forget a device', errors: { 404: 'no such device' } })
  delete(@Param('id', idParam) id: string) {
    return this.devices.delete(id);
  }
}
