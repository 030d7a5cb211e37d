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
import { API_ROUTES, deviceUpsertRequestSchema, publicDeviceSchema } from '@tunnelgate/sessions';
import * as z from 'zod/mini';
import { ApiTokenGuard } from '../auth/api-token.guard';
import { idParam } from '../http/id-param.pipe';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { DevicesService } from './devices.service';

@Controller(API_ROUTES.devices)
@UseGuards(ApiTokenGuard)
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Put(':id')
  @ApiRoute({
    summary: 'Register or update a device',
    body: deviceUpsertRequestSchema,
    response: publicDeviceSchema,
  })
  upsert(
    @Param('id', idParam) id: string,
    @Body(new ZodValidationPipe(deviceUpsertRequestSchema))
    body: z.output<typeof deviceUpsertRequestSchema>,
  ) {
    return this.devices.upsert(id, body);
  }

  @Get()
  @ApiRoute({ summary: 'All devices', response: z.array(publicDeviceSchema) })
  list() {
    return this.devices.list();
  }

  @Get(':id')
  @ApiRoute({
    summary: 'One device',
    response: publicDeviceSchema,
    errors: { 404: 'no such device' },
  })
  get(@Param('id', idParam) id: string) {
    return this.devices.get(id);
  }

  @Post(':id/connected')
  @HttpCode(200)
  @ApiRoute({
    summary: 'The device tunnel is up: online',
    response: publicDeviceSchema,
    errors: { 404: 'no such device' },
  })
  connected(@Param('id', idParam) id: string) {
    return this.devices.markOnline(id);
  }

  @Post(':id/heartbeat')
  @HttpCode(200)
  @ApiRoute({
    summary: 'The device is alive: online, seen now',
    response: publicDeviceSchema,
    errors: { 404: 'no such device' },
  })
  heartbeat(@Param('id', idParam) id: string) {
    return this.devices.markOnline(id);
  }

  @Post(':id/disconnected')
  @HttpCode(200)
  @ApiRoute({
    summary: 'The device tunnel is down: offline',
    response: publicDeviceSchema,
    errors: { 404: 'no such device' },
  })
  disconnected(@Param('id', idParam) id: string) {
    return this.devices.markOffline(id, 'reported disconnected');
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiRoute({
    summary: 'Forget a device',
    response: 'no-content',
    errors: { 404: 'no such device' },
  })
  delete(@Param('id', idParam) id: string) {
    return this.devices.delete(id);
  }
}
